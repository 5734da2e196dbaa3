"""R1's baseline: the smallest FastAPI `async` endpoint, served the same way as the CRM."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/ok")
async def ok() -> dict[str, bool]:
    return {"ok": True}
