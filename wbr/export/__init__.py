from .html_page import deck_to_html, write_deck_html
from .json_export import deck_from_dict, deck_to_dict, deck_to_json, write_deck_json
from .pdf import PAPERS, PdfExportError, export_pdf

__all__ = [
    "PAPERS",
    "PdfExportError",
    "deck_from_dict",
    "deck_to_dict",
    "deck_to_html",
    "deck_to_json",
    "export_pdf",
    "write_deck_html",
    "write_deck_json",
]
