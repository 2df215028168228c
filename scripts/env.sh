# Sourced by ./clip4j and scripts/test: finds JDK 25+ and Maven, installing Maven from Debian when missing.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

find_jdk() {
  local c
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/java-25* /usr/lib/jvm/jdk-25* \
           /usr/lib/jvm/*25* /opt/java/openjdk /opt/jdk-25* /usr/local/jdk-25*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    local v; v=$(java_major "$c")
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}

JAVA_HOME=$(find_jdk) || { echo "clip4j: error: JDK 25 or newer not found (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2; exit 1; }
export JAVA_HOME
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
if ! command -v mvn >/dev/null 2>&1; then
  echo "clip4j: installing Maven from Debian" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven) >&2 || { echo "clip4j: error: Maven is missing and could not be installed" >&2; exit 1; }
fi
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && command -v apt-get >/dev/null 2>&1; then
  echo "clip4j: installing Debian's dataset-fashion-mnist (few-shot demo and tests)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) >&2 \
    || echo "clip4j: warning: dataset-fashion-mnist could not be installed; the demo falls back to generated shapes" >&2
fi
