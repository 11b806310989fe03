// ming: the command-line entry point. Dispatches to one file per subcommand.
#include <cstdio>

int main() {
  std::puts("ming");
  return 0;
}
