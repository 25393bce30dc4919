"""Built-in campaign hooks with Pinpoint's campaign-hook contract (filter/augment up to 50 endpoints per call)."""
