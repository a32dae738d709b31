"""The bare floor: a minimal FastAPI app (one POST route that returns its JSON body, no middleware,
nothing else mounted), served by benchmarks/fill_authorization.py under uvicorn with the same
worker count as the service, so the ratio says what our stack and the authorization cost.

Kept outside the project's package on purpose: it must not carry our middleware or routes.
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/echo")
async def echo(request: Request) -> JSONResponse:
    return JSONResponse(await request.json())
