from specgap.cli import main

# guarded: the workers of `scan --jobs` start fresh interpreters that import this module again
if __name__ == "__main__":
    main()
