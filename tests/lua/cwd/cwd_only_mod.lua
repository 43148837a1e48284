-- Must never be loaded: the cwd is not on the module path.
error("cwd_only_mod was loaded from the current directory")
