"""The shared web machinery of the portal: it imports no feature app."""
