"""The model as headmix reads it: the family table, the architecture, rope, the layer walk and the forward pass."""
