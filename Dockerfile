# codebot-exporter: build on Debian 12 with Debian's packages only, run on debian:12-slim.
#   docker build -t codebot-exporter .
#   docker run -p 9877:9877 codebot-exporter   (k8s/ mounts its own config instead)
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake ninja-build g++ pkg-config git ca-certificates \
      prometheus-cpp-dev libyaml-cpp-dev libcurl4-openssl-dev libpqxx-dev \
      libspdlog-dev nlohmann-json3-dev libre2-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCODEBOT_BUILD_TESTS=OFF -DCODEBOT_BUILD_BENCH=OFF \
 && cmake --build build --target codebot-exporter \
 && strip build/exporter/codebot-exporter

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libcurl4 libfmt9 \
      libpqxx-6.4 libprometheus-cpp-core1.0 libre2-9 libspdlog1.10 libyaml-cpp0.7 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/exporter/codebot-exporter /usr/local/bin/codebot-exporter
# The same layout as the repository, so the example's relative paths resolve: its rules,
# playbooks, placeholder secrets, and an outbox folder (../build/example-outbox) the unprivileged
# user can write. k8s/ mounts its own config, secrets and outbox volume instead.
COPY rules/alerts.yml rules/playbooks.yml /etc/codebot-exporter/rules/
COPY examples/codebot-exporter.yml /etc/codebot-exporter/examples/codebot-exporter.yml
COPY examples/secrets/ /etc/codebot-exporter/examples/secrets/
RUN mkdir -p /var/lib/codebot-exporter /etc/codebot-exporter/build \
 && chown 65534:65534 /var/lib/codebot-exporter \
 && ln -s /var/lib/codebot-exporter /etc/codebot-exporter/build/example-outbox
VOLUME /var/lib/codebot-exporter
# Don't initialise GnuTLS (pulled in by libcurl's dependencies, never used): saves memory.
ENV GNUTLS_NO_EXPLICIT_INIT=1
USER 65534:65534
EXPOSE 9877
ENTRYPOINT ["/usr/local/bin/codebot-exporter"]
CMD ["--config.file=/etc/codebot-exporter/examples/codebot-exporter.yml"]
