"""The FastAPI server: chat API over SSE, health, and the web chat page."""
