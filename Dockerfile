# syntax=docker/dockerfile:1
# Multi-stage build of the issuance service: a Rust build stage, then a slim runtime.
#   docker build -t issuance .

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Cache mounts keep the registry and the target directory between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin issuance \
 && cp target/release/issuance /usr/local/bin/issuance

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/issuance --shell /usr/sbin/nologin issuance \
 && mkdir -p /var/lib/issuance \
 && chown issuance /var/lib/issuance
COPY --from=build /usr/local/bin/issuance /usr/local/bin/issuance
USER issuance
ENV ISSUANCE_DATA_DIR=/var/lib/issuance \
    ISSUANCE_WALLET_ADDR=0.0.0.0:8080 \
    ISSUANCE_MANAGEMENT_ADDR=0.0.0.0:8081
VOLUME ["/var/lib/issuance"]
EXPOSE 8080 8081
HEALTHCHECK --interval=10s --timeout=3s CMD curl --fail --silent http://127.0.0.1:8081/health/live || exit 1
ENTRYPOINT ["issuance"]
CMD ["serve"]
