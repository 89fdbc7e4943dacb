"""SG5xx information leaks: code that reads the grader's answers instead of computing them."""
