// The two pause programs k8ts can build without a registry. Both sleep
// forever as PID 1 of the sandbox, exit 0 on SIGTERM/SIGINT (so stopping a
// sandbox is quick), and reap children that other containers of the pod
// orphan into a shared PID namespace.

/**
 * For a static busybox. ash's `wait` collects any child (waitpid(-1)), so
 * orphans reparented to it are reaped while it waits on its own sleep; the
 * trap fires as soon as a signal interrupts that wait.
 */
export const PAUSE_SCRIPT = `#!/bin/sh
# k8ts pause: holds the pod's namespaces.
trap 'exit 0' TERM INT
while :; do
  sleep 2147483647 &
  wait $!
done
`;

export const PAUSE_C = `/* k8ts pause: holds the pod's namespaces. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = stop;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = reap;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  for (;;) pause();
  return 0;
}
`;
