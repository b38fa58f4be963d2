//! `docker-compose.yml` and `Dockerfile`: no Docker engine runs on the test machines, so
//! the files are parsed and checked against what the README promises, and the service's
//! environment in the compose file is loaded as the service would load it.

use std::collections::BTreeMap;

use issuance::config::{LoadedConfig, BUILT_IN_CONFIG};
use issuance::store::pg::PgTarget;
use serde_yaml::Value;

const COMPOSE: &str = include_str!("../../docker-compose.yml");
const DOCKERFILE: &str = include_str!("../../Dockerfile");
const README: &str = include_str!("../../README.md");

fn compose() -> Value {
    serde_yaml::from_str(COMPOSE).expect("docker-compose.yml is valid YAML")
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    &compose["services"][name]
}

fn environment(service: &Value) -> BTreeMap<String, String> {
    service["environment"]
        .as_mapping()
        .expect("environment is a mapping")
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_string(),
                v.as_str()
                    .expect("environment values are strings")
                    .to_string(),
            )
        })
        .collect()
}

fn ports(service: &Value) -> Vec<String> {
    service["ports"]
        .as_sequence()
        .map(|ports| {
            ports
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `value` with each `${NAME:-default}` replaced by its default, as Compose does when
/// `NAME` is unset.
fn interpolate(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed ${…}") + start;
        let inner = &rest[start + 2..end];
        let (_, default) = inner
            .split_once(":-")
            .unwrap_or_else(|| panic!("`{inner}` has a default"));
        out.push_str(default);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn compose_runs_the_service_on_kurrentdb_postgres_and_rabbitmq_with_health_checks() {
    let compose = compose();
    let names: Vec<&str> = compose["services"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["issuance", "kurrentdb", "postgres", "rabbitmq"]);

    for (name, image) in [
        ("kurrentdb", "kurrentplatform/kurrentdb:"),
        ("postgres", "postgres:"),
        ("rabbitmq", "rabbitmq:"),
    ] {
        let actual = service(&compose, name)["image"].as_str().unwrap();
        assert!(actual.starts_with(image), "{name} runs {actual}");
        assert!(!actual.ends_with(":latest"), "{name} pins a version");
        assert!(
            README.contains(actual),
            "README names the {name} image {actual}"
        );
    }
    assert!(service(&compose, "rabbitmq")["image"]
        .as_str()
        .unwrap()
        .ends_with("-management"));
    assert_eq!(
        service(&compose, "issuance")["build"]["dockerfile"].as_str(),
        Some("Dockerfile")
    );

    for name in ["issuance", "kurrentdb", "postgres", "rabbitmq"] {
        let test = &service(&compose, name)["healthcheck"]["test"];
        assert!(
            test.as_sequence().is_some_and(|t| t.len() > 1),
            "{name} has a health check"
        );
    }
    for dependency in ["kurrentdb", "postgres", "rabbitmq"] {
        assert_eq!(
            service(&compose, "issuance")["depends_on"][dependency]["condition"].as_str(),
            Some("service_healthy"),
            "issuance waits for a healthy {dependency}"
        );
    }

    let kurrent = environment(service(&compose, "kurrentdb"));
    assert_eq!(kurrent["KURRENTDB_INSECURE"], "true");
    assert_eq!(kurrent["KURRENTDB_CLUSTER_SIZE"], "1");

    // The ports the README promises, each on the host's loopback only.
    assert_eq!(
        ports(service(&compose, "issuance")),
        vec!["127.0.0.1:8080:8080", "127.0.0.1:8081:8081"]
    );
    assert_eq!(
        ports(service(&compose, "kurrentdb")),
        vec!["127.0.0.1:2113:2113"]
    );
    assert_eq!(
        ports(service(&compose, "rabbitmq")),
        vec!["127.0.0.1:5672:5672", "127.0.0.1:15672:15672"]
    );
    for name in ["issuance", "kurrentdb", "postgres", "rabbitmq"] {
        for port in ports(service(&compose, name)) {
            assert!(
                port.starts_with("127.0.0.1:"),
                "{name} publishes {port} beyond the loopback"
            );
        }
    }
    for port in ["8080", "8081", "2113", "5672", "15672"] {
        assert!(README.contains(port), "README mentions port {port}");
    }
}

#[test]
fn the_service_environment_in_compose_is_a_valid_configuration() {
    let compose = compose();
    let env = environment(service(&compose, "issuance"));
    let events = &env["ISSUANCE_EVENT_STORE"];
    assert!(events.starts_with("esdb://kurrentdb:2113"), "{events}");
    assert!(events.contains("tls=false"), "the insecure node has no TLS");
    events
        .parse::<eventstore::ClientSettings>()
        .expect("the EventStoreDB URL parses");
    let reads = &env["ISSUANCE_READ_STORE"];
    assert!(reads.starts_with("postgres://"), "{reads}");
    let target = PgTarget::parse(reads).expect("the PostgreSQL URL parses");
    assert_eq!(target.database(), "issuance");
    // The broker's credentials: set through the environment, with a default that is not
    // RabbitMQ's `guest`, and the same in the service's URL and the broker's own settings.
    let broker = environment(service(&compose, "rabbitmq"));
    let user = interpolate(&broker["RABBITMQ_DEFAULT_USER"]);
    let password = interpolate(&broker["RABBITMQ_DEFAULT_PASS"]);
    assert!(broker["RABBITMQ_DEFAULT_PASS"].starts_with("${BROKER_PASSWORD:-"));
    assert_ne!(user, "guest");
    assert_ne!(password, "guest");
    let amqp = url::Url::parse(&interpolate(&env["ISSUANCE_AMQP_URL"])).unwrap();
    assert_eq!(
        (amqp.username(), amqp.password()),
        (user.as_str(), Some(password.as_str()))
    );
    assert_eq!(amqp.host_str(), Some("rabbitmq"));
    for variable in ["BROKER_USER", "BROKER_PASSWORD", "issuance-local-only"] {
        assert!(README.contains(variable), "README documents {variable}");
    }

    // Loaded like the service loads ISSUANCE_* variables (defaults interpolated; the
    // required admin key stood in for).
    let overrides: Vec<(String, serde_json::Value)> = env
        .iter()
        .filter(|(key, _)| key.starts_with("ISSUANCE_") && key.as_str() != "ISSUANCE_ADMIN_KEY")
        .map(|(key, value)| {
            (
                key.trim_start_matches("ISSUANCE_").to_ascii_lowercase(),
                serde_json::Value::String(interpolate(value)),
            )
        })
        .collect();
    let borrowed: Vec<(&str, serde_json::Value)> = overrides
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let config = LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &borrowed)
        .unwrap_or_else(|e| panic!("compose environment is invalid: {e:?}"));
    assert_eq!(
        config.settings.event_store.as_deref(),
        Some(events.as_str())
    );
    assert_eq!(
        issuance::node::stores::read_store_url(&config.settings),
        reads.as_str()
    );
    assert!(env["ISSUANCE_ADMIN_KEY"].starts_with("${ISSUANCE_ADMIN_KEY:?"));
}

#[test]
fn the_dockerfile_is_a_multi_stage_build_of_the_service() {
    let stages: Vec<&str> = DOCKERFILE
        .lines()
        .filter(|line| line.starts_with("FROM "))
        .collect();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    assert!(stages[0].contains(" AS build"));
    assert!(DOCKERFILE.contains("cargo build --release --locked --bin issuance"));
    assert!(DOCKERFILE.contains("COPY --from=build"));
    assert!(DOCKERFILE.contains("EXPOSE 8080 8081"));
    assert!(
        DOCKERFILE.contains("USER issuance"),
        "the service does not run as root"
    );
    assert!(DOCKERFILE.contains("HEALTHCHECK"));
}
