"""Each reader's own digest: the profile and its liked papers (`reader`), the offline score (`rank`),
the per-profile reports from one crawl (`personalize`) and `aidigest eval profiles` (`evaluate`)."""
