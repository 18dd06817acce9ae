// danfojs-node only needs the tfjs tensor API; share the one prunelab already loaded so that
// its tensors live on the same backend and no native libtensorflow download is needed.
module.exports = require('@tensorflow/tfjs');
