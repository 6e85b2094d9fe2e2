"""Users, roles (groups) and API tokens."""
