raise ImportError("this pack cannot load its policies")
