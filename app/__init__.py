"""The application: one API over ingestion, indexing and search, and its two faces.

`dwsearch.app.api` is what the command line (`cli.py`), the web server and Python
programs call; each of those is a thin layer over it.
"""
