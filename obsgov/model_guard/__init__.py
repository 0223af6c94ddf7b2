"""The model approval guard: the organisation's approval rules, enforced when a model package is
approved (a Lambda function in each environment's registry account) and checked on demand
(``obsgov models check``). One implementation serves both.

This package imports only the standard library and boto3, so the function ships as this folder
alone.
"""
