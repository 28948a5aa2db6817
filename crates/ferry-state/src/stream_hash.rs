//! A SHA-256 that survives its process: the state over a blob's committed bytes is
//! saved with them, so a resumable upload's hash continues on whichever process
//! receives its next bytes. The writer above the port (`ferry_core::blob::write_body`)
//! hashes with it, and so does the S3 adapter when it commits staged pieces; it needs
//! nothing of the blob store, so it sits below the port and both adapters.

use sha2::{
    Digest, Sha256,
    digest::common::hazmat::{SerializableState, SerializedState},
};

use crate::{Error, Result};

/// A SHA-256 computation that can be saved with the blob and resumed elsewhere.
#[derive(Clone, Default)]
pub struct StreamHash(Sha256);

impl StreamHash {
    /// Resumes from a saved state (or starts fresh on `None`).
    pub fn resume(saved: Option<&[u8]>) -> Result<StreamHash> {
        match saved {
            None => Ok(StreamHash::default()),
            Some(bytes) => {
                let state = SerializedState::<Sha256>::try_from(bytes)
                    .map_err(|_| Error::Corrupt("saved hash state has the wrong size".into()))?;
                Sha256::deserialize(&state)
                    .map(StreamHash)
                    .map_err(|_| Error::Corrupt("saved hash state is invalid".into()))
            }
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The state to save with the committed bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        self.0.serialize().as_slice().to_vec()
    }

    /// The digest of everything fed so far.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}
