"""Demo data for `make run`: a province, a city, two counties and five units in the middle of
their pledge round, built through the same services the product uses. Top floor: it may use
everything below, and nothing imports it."""
