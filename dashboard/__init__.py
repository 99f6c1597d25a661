"""The unrest-map Dash application."""
