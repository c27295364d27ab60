"""The Gemini API (generateContent) codec."""
