"""Model preparation: from a config to a compiled, static-shaped OpenVINO model.

Owns the built-in inception-resnet-v2 replica, reading and reshaping model files, the graph
FLOP count, synthetic input tensors, and compiling for a device (reading back what the
device resolved). May import: ``settings``, ``errors``, OpenVINO.
"""
