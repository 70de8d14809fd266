"""Table Storage repositories, one per aggregate, over azure-data-tables."""
