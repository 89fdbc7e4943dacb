"""SG3xx runtime escapes: code that stops or reroutes the test run before failures are recorded."""
