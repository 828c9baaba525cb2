# syntax=docker/dockerfile:1
# Build a static binary (pure-Go SQLite, no cgo), then run it as a non-root
# user from a minimal image with the data directory on a volume.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/outreach ./cmd/outreach \
 && mkdir -p -m 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/outreach /usr/local/bin/outreach
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV OUTREACH_ADDR=:8080 \
    OUTREACH_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
# distroless has no shell or curl: the binary checks itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/outreach", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/outreach"]
CMD ["serve"]
