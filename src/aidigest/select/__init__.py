"""Which items a report shows (`items.select_items`)."""
