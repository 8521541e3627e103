"""povsim tests: the model at the top level, each workflow in its own folder."""
