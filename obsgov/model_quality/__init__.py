"""Model quality from ground truth: captured predictions joined with labels by inference id,
scored, and published in the shared metric contract. Standard library and boto3 only, so the
scheduled function ships as this package alone."""
