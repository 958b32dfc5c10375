"""Replays what xlwings Lite does with a main.py, headless, through xlwings' own
server-side code (``xlwings.server``: the functions' metadata, ``custom_functions_call``
with the arguments as Office.js sends them, ``custom_scripts_call`` with a book payload).

Run as a program (a fresh interpreter, so xlwings loads its Office.js side as it does in
Lite: ``XLWINGS_ON_SERVER``): reads ``{"main": path, "steps": [...]}`` as JSON on stdin,
writes one JSON object per step on stdout. A step is ``{"call": NAME, "args": [...]}``
or ``{"script": NAME, "book": payload, "args": [...]}``; its answer is
``{"value": ...}`` or ``{"error": "message"}`` (a script's also ``{"actions": [...]}``).
The tests set xlwings' ``noncommercial`` licence key for its server code.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import json
import sys

OFFICE_JS = {"client": "Office.js", "runtime": "1.4", "date_format": "yyyy-mm-dd",
             "culture_info_name": "en-US"}


def load(path: str):
    spec = importlib.util.spec_from_file_location("main", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def step(module, item: dict) -> dict:
    import xlwings as xw
    from xlwings import server

    try:
        if "call" in item:
            data = {**OFFICE_JS, "version": xw.__version__, "func_name": item["call"],
                    "args": item.get("args", []), "caller_address": "Sheet1!A1"}
            return {"value": await server.custom_functions_call(data, module)}
        book = xw.Book(json={**item["book"], "version": xw.__version__, "client": "Office.js"})
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            await server.custom_scripts_call(module, item["script"],
                                             typehint_to_value={xw.Book: book},
                                             args=item.get("args", []))
        return {"value": printed.getvalue().strip(), "actions": book.json()["actions"]}
    except Exception as exc:  # noqa: BLE001 (what Lite would show)
        return {"error": str(exc), "type": type(exc).__name__}


async def replay(request: dict) -> dict:
    from xlwings import server

    module = load(request["main"])
    answers = [await step(module, item) for item in request["steps"]]
    return {"functions": server.custom_functions_meta(module),
            "scripts": server.custom_scripts_meta(module), "steps": answers}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(replay(json.load(sys.stdin))), default=str))
