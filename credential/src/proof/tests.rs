use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jws::{JwsHeader, ES256};

fn signed() -> (String, Jwk) {
    let key = Jwk::generate_ec_key(EcCurve::P256).unwrap();
    let signer = ES256.signer_from_jwk(&key).unwrap();
    let jwt = josekit::jws::serialize_compact(b"{}", &JwsHeader::new(), &signer).unwrap();
    (jwt, key.to_public_key().unwrap())
}

#[test]
fn the_fast_es256_path_verifies_and_rejects_points_off_the_curve() {
    let (jwt, public) = signed();
    assert_eq!(es256::verify(&jwt, &public).unwrap(), b"{}");

    let mut off_curve = public.clone();
    let mut y = URL_SAFE_NO_PAD
        .decode(public.parameter("y").unwrap().as_str().unwrap())
        .unwrap();
    y[31] ^= 1;
    off_curve
        .set_parameter("y", Some(URL_SAFE_NO_PAD.encode(&y).into()))
        .unwrap();
    assert!(matches!(
        es256::verify(&jwt, &off_curve),
        Err(ProofError::Key(_))
    ));

    let (_, other) = signed();
    assert!(matches!(
        es256::verify(&jwt, &other),
        Err(ProofError::Signature(_))
    ));
}
