#include "cli/run.hpp"

int main(int argc, char** argv) { return ocx::cli::run(argc, argv); }
