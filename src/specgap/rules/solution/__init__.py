"""SG4xx solution gaming: product code that fakes a correct answer instead of computing it."""
