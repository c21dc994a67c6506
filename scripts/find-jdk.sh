# Sourced by ./mvnw and ./minitron: make JAVA_HOME point at a JDK 25 or newer, or stop with a message.
# Order: JAVA_HOME if it is new enough; the `java` on PATH if it is; the usual install folders.

minitron_java_major() {
  # Prints the major version of the java binary $1 ("25" for 25.0.3), or nothing.
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

minitron_find_jdk() {
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    v=$(minitron_java_major "$JAVA_HOME/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then return 0; fi
  fi
  if command -v java >/dev/null 2>&1; then
    v=$(minitron_java_major java)
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then
      JAVA_HOME=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p')
      export JAVA_HOME
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    if [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ]; then
      v=$(minitron_java_major "$candidate/bin/java")
      if [ -n "$v" ] && [ "$v" -ge 25 ]; then
        JAVA_HOME=$candidate
        export JAVA_HOME
        return 0
      fi
    fi
  done
  echo "minitron: no JDK 25 found (JAVA_HOME=${JAVA_HOME-unset}; java on PATH: $(command -v java || echo none))." >&2
  echo "minitron: install one and point JAVA_HOME at it, e.g. export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64" >&2
  return 1
}

minitron_find_jdk || exit 1
