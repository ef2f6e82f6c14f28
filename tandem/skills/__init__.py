"""Jobs and skills by territory (GPECT): hiring needs, tensions, training offer, crosswalks, gaps."""
