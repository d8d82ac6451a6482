"""Distribution dynamics: Markov chains, kernel densities, convergence."""
