"""The hub's pages: sign-in, the family's map."""
