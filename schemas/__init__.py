"""The declared contract: the column catalogue (columns.py) and one pandera model per sheet kind (models.py)."""
