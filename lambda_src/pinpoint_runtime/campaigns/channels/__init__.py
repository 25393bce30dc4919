"""Built-in custom channels with Pinpoint's custom-channel contract."""
