"""The OpenAI Responses API codec."""
