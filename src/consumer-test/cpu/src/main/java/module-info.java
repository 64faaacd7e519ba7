/** The consumer as a module: requiring dev.jconv is all it takes to get the Vector API on the module path. */
module consumer {
    requires dev.jconv;
}
