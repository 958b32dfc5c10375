"""smallcap in xlwings Lite (Excel on Windows, Mac and the web, Python in Pyodide).

- :mod:`smallcap.lite.build` writes the two files pasted into the Lite editor
  (``main.py``, ``requirements.txt``) from the catalogue;
- :mod:`smallcap.lite.runtime` is what that ``main.py`` calls: the in-memory history
  loaded by the ``load_history`` script, and Lite's cell conventions;
- :mod:`smallcap.lite.table` reads the history from a table in the Data sheet's layout.

Nothing here imports xlwings: Lite brings its own.
"""
