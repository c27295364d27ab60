"""What cligate records about its own work."""
