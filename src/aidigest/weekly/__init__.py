"""The weekly roundup: the week's models (`report`), building it from the stored days (`build`), and each
reader's week (`profiles`)."""
