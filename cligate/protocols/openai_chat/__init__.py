"""The OpenAI Chat Completions codec: requests, answers and streams to and from the neutral form."""
