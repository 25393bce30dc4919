"""The audience: Pinpoint-shaped endpoints, users and segments (the endpoint store) and endpoint imports."""
