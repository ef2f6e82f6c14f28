"""Industrial and territorial ecology (EIT): company flows, synergy detection (pure engine in `engine/`)."""
