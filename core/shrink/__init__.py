"""How a layer shrinks: the targets, the methods and their matrices, mixing, least squares, and removing layers."""
