"""Interactive exploration in JupyterLab: widgets over a cohort and a client.

- :mod:`.widgets`: the explorer behind ``notebooks/explore.ipynb``.
"""
