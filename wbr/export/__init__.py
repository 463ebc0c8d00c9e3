from .json_export import deck_from_dict, deck_to_dict, deck_to_json, write_deck_json

__all__ = ["deck_from_dict", "deck_to_dict", "deck_to_json", "write_deck_json"]
