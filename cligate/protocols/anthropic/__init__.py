"""The Anthropic Messages codec: requests, answers and streams to and from the neutral form."""
